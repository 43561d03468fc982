(function () {
  // Each chart's Vega-Lite specification sits in a JSON block of its own; nothing is fetched.
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    var spec = JSON.parse(document.getElementById(holder.getAttribute("data-chart")).textContent);
    window.vegaEmbed(holder, spec, {actions: false, renderer: "svg"}).catch(function (error) {
      holder.textContent = String(error);
      console.error(error);
    });
  });
})();
