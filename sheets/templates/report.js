(function () {
  var table = document.getElementById("shortlist");
  if (!table) { return; }
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var current = -1;
  var ascending = true;

  function sortBy(index) {
    // The first click sorts ascending, the next one descending; a figure not measured stays last.
    ascending = current === index ? !ascending : true;
    current = index;
    var numeric = headers[index].getAttribute("data-sort") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-key"), y = b.cells[index].getAttribute("data-key");
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (header) { header.removeAttribute("aria-sort"); });
    headers[index].setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  headers.forEach(function (header, index) {
    if (!header.getAttribute("data-sort")) { return; }
    header.tabIndex = 0;
    header.addEventListener("click", function () { sortBy(index); });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(index); }
    });
  });

  var platform = document.getElementById("filter-platform");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  function filter() {
    var wanted = platform.value, words = text.value.trim().toLowerCase(), shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var visible = (!wanted || row.getAttribute("data-platform") === wanted) &&
        (!words || row.getAttribute("data-search").indexOf(words) !== -1);
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    count.textContent = String(shown);
  }
  platform.addEventListener("change", filter);
  text.addEventListener("input", filter);
})();
