/* surveykit: optional enhancements; every page works without this file.
   - focus the error summary after a failed submit;
   - show a running total under constant-sum questions;
   - show or hide questions whose condition names an answer on the same page
     (the server decides again on submit; the logic mirrors surveykit.expressions). */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  var form = document.querySelector("form[novalidate]");
  if (!form) return;
  var NUM = /^-?\d+(\.\d+)?$/;

  function answers() {
    var a = {}, ticked = {}, els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i], n = el.name;
      if (!n || n.slice(0, 2) !== "q_" || el.closest("[hidden]")) continue;
      var v = n.slice(2).replace("-", "_");
      if (el.type === "radio") {
        if (el.checked) a[v] = NUM.test(el.value) ? Number(el.value) : el.value;
      } else if (el.type === "checkbox") {
        a[v + "_" + el.value] = el.checked ? 1 : 0;
        ticked[v] = ticked[v] || el.checked;
      } else if (el.value.trim() !== "") {
        var t = el.value.trim();
        a[v] = el.classList.contains("num") && NUM.test(t) ? Number(t) : el.value;
      }
    }
    for (var k in a) {  /* nothing ticked in a multi question: unanswered */
      var base = k.slice(0, k.lastIndexOf("_"));
      if (a[k] === 0 && base in ticked && !ticked[base]) delete a[k];
    }
    return a;
  }

  function value(n, a) {
    if (n && n.l !== undefined) return n.l;
    if (n && n.n !== undefined) return a[n.n] === undefined ? null : a[n.n];
    return evaluate(n, a);
  }

  function compare(op, x, y) {
    if (x === null || y === null || typeof x === "boolean" || typeof y === "boolean") return null;
    var nx = typeof x === "number", ny = typeof y === "number";
    if (nx !== ny) return op === "==" ? false : op === "!=" ? true : null;
    if (!nx) { x = String(x); y = String(y); }
    switch (op) {
      case "==": return x === y;
      case "!=": return x !== y;
      case "<": return x < y;
      case "<=": return x <= y;
      case ">": return x > y;
      default: return x >= y;
    }
  }

  function evaluate(t, a) {
    var i, v, unknown = false;
    if (Array.isArray(t)) {
      switch (t[0]) {
        case "c": return compare(t[1], value(t[2], a), value(t[3], a));
        case "in":
          v = a[t[2] + "_" + t[1]];
          if (v === undefined || v === null) return null;
          return t[3] ? !v : !!v;
        case "and":
          for (i = 0; i < t[1].length; i++) { v = evaluate(t[1][i], a); if (v === false) return false; if (v !== true) unknown = true; }
          return unknown ? null : true;
        case "or":
          for (i = 0; i < t[1].length; i++) { v = evaluate(t[1][i], a); if (v === true) return true; if (v !== false) unknown = true; }
          return unknown ? null : false;
        case "not":
          v = evaluate(t[1], a);
          return v === null ? null : !v;
      }
    }
    v = value(t, a);
    return v === null ? null : !!v;
  }

  var conds = [].slice.call(form.querySelectorAll("[data-show-if]")).map(function (el) {
    return { el: el, c: JSON.parse(el.getAttribute("data-show-if")) };
  });
  var sums = [].slice.call(form.querySelectorAll("[data-total]"));

  function update() {
    conds.forEach(function (d) {
      var a = answers(), ctx = {}, k;
      for (k in d.c.v) ctx[k] = d.c.v[k];
      for (k in a) ctx[k] = a[k];
      d.el.hidden = evaluate(d.c.t, ctx) !== true;
    });
    sums.forEach(function (fs) {
      var total = 0, any = false;
      fs.querySelectorAll("input.num").forEach(function (el) {
        var t = el.value.trim();
        if (NUM.test(t)) { total += Number(t); any = true; }
      });
      var out = fs.querySelector("output");
      if (out) out.value = any ? String(Math.round(total * 1e9) / 1e9) : "";
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
