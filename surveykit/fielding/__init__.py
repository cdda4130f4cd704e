"""Continuous fielding: invitations sent by e-mail and SMS, reminders, contact rules, webhooks.

* :mod:`~surveykit.fielding.declared` - the format's keys (templates, reminders, rules, webhooks);
* :mod:`~surveykit.fielding.templates` - placeholders, rendering, SMS length;
* :mod:`~surveykit.fielding.schedule` - durations and quiet hours;
* :mod:`~surveykit.fielding.installation` - rules and webhooks for the whole installation;
* :mod:`~surveykit.fielding.rules` - whether a contact may be sent a message now (``admit``);
* :mod:`~surveykit.fielding.links` - short codes and opt-out tokens;
* :mod:`~surveykit.fielding.tracking` - an invitation's status as it moves on;
* :mod:`~surveykit.fielding.delivery` - SMTP and SMS adapters;
* :mod:`~surveykit.fielding.webhooks` - signed webhook deliveries;
* :mod:`~surveykit.fielding.worker` - the loop that sends what is due.

Nothing is imported here, so that the loader pulls in only what it reads.
"""
