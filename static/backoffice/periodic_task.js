// django-celery-beat's periodic task form: the crontab's plain-words translation under the
// field (their inline script, moved here so the site CSP can forbid inline script).
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var data = document.getElementById("readable-crontabs");
  if (!$ || !data) { return; }
  var readableCrontabs = JSON.parse(data.textContent);
  var me = document.getElementById("periodic-task-overrides");
  var originalCrontabHelp = me ? me.getAttribute("data-crontab-help") : "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help").empty();
    help.append(document.createTextNode(originalCrontabHelp), $("<br>"),
      document.createTextNode("Translation: " + (readableCrontabs[$("#id_crontab").val()] || "")));
  });
})();
