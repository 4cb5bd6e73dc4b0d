/*
 * callcenter: the one line a site adds to get a "Talk to us" button.
 *
 *   <script src="/callcenter/callcenter.js" data-queue="sales" defer></script>
 *
 * data-queue     queue the calls go to (default "default")
 * data-label     the button's text (default "Talk to us")
 * data-color     accent color (any CSS color)
 * data-endpoint  the caller API (default "/call")
 * data-info-*    extra fields sent with the call (data-info-cart="42.50")
 *
 * A classic script (so the one line needs no type="module"); the widget
 * itself is an ES module loaded from beside this file.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__callcenterWidget) return;
  window.__callcenterWidget = true;

  var info = {};
  for (var i = 0; i < script.attributes.length; i++) {
    var attr = script.attributes[i];
    if (attr.name.indexOf('data-info-') === 0 && attr.name.length > 10) {
      info[attr.name.slice(10)] = attr.value;
    }
  }
  var config = {
    queue: script.getAttribute('data-queue') || 'default',
    label: script.getAttribute('data-label') || 'Talk to us',
    color: script.getAttribute('data-color') || '',
    endpoint: script.getAttribute('data-endpoint') || '/call',
    info: info,
    base: new URL('.', script.src).href
  };

  function start() {
    import(new URL('js/widget.js', config.base).href)
      .then(function (widget) { widget.mount(config); })
      .catch(function (err) { console.error('callcenter: the widget did not load', err); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
