// The checkout's single total follows the shipping method ticked: the page holds
// one total per method (worked out by the server, VAT breakdown included) and
// shows only the chosen one. Without JavaScript the default method's total shows,
// and each option carries its own price.
(function () {
  "use strict";

  var form = document.querySelector(".checkout__form");
  var totals = document.querySelectorAll(".checkout__total-for");
  if (!form || totals.length === 0) {
    return;
  }

  function show(method) {
    totals.forEach(function (block) {
      block.hidden = block.getAttribute("data-shipping-method") !== method;
    });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "shipping_method" && input.checked) {
      show(input.value);
    }
  });

  var ticked = form.querySelector('input[name="shipping_method"]:checked');
  if (ticked) {
    show(ticked.value);
  }
})();
