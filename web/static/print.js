// The report page's 打印 button: the browser's print dialog (the page's @media print rules lay it out).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
