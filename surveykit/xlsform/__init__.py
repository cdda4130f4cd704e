"""The XLSForm bridge: ``surveykit xlsform import|export``.

XLSForm is the spreadsheet format of ODK, KoboToolbox, SurveyCTO and Ona.  The modules, in
the order a file passes through them:

==============  ================================================================
workbook        read ``.xlsx`` (openpyxl) and ``.xls`` (xlrd) sheets into rows, with limits
typemap         the ``type`` column: spellings, and what has an equivalent here
languages       ``label::Chinese (zh)`` columns <-> the project's language codes
relevant        ``relevant`` XPath <-> surveykit conditions
limits          simple ``constraint`` expressions <-> min / max / pattern
form            the sheets checked as the specification says: languages, lists, names, groups
importer        XLSForm -> questionnaire YAML, loaded with the project's loader
exporter        questionnaire -> XLSForm workbook
errors          ``FILE:sheet:row: message`` problems
==============  ================================================================
"""

from __future__ import annotations

from surveykit.xlsform.errors import SheetProblem, XLSFormError
from surveykit.xlsform.exporter import export_xlsform
from surveykit.xlsform.importer import ImportResult, import_xlsform

__all__ = ["ImportResult", "SheetProblem", "XLSFormError", "export_xlsform", "import_xlsform"]
