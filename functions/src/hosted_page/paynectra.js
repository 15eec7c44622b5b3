/*
 * paynectra.js: tokenise a card and confirm a payment from a web page, with
 * a publishable key (pk_test_... / pk_live_...) and the payment's client
 * secret. The card number goes from the browser to Paynectra only.
 *
 *   const paynectra = Paynectra("pk_test_...", { apiBase: "https://api.example" });
 *   const pm = await paynectra.createPaymentMethod({ number, exp_month, exp_year, cvc });
 *   const payment = await paynectra.confirmPayment("pay_...", clientSecret, pm.id);
 *
 * Both resolve to the API's object, or reject with an Error whose `.error`
 * is the API's error ({type, code, decline_code, message, param}).
 */
(function (global) {
  "use strict";

  function Paynectra(publishableKey, options) {
    if (!/^pk_(test|live)_/.test(publishableKey || "")) {
      throw new Error("Paynectra() needs a publishable key (pk_test_... or pk_live_...).");
    }
    var apiBase = ((options && options.apiBase) || "").replace(/\/$/, "");

    function post(path, body) {
      return fetch(apiBase + path, {
        method: "POST",
        headers: { "Authorization": "Bearer " + publishableKey, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }).then(function (res) {
        return res.json().then(function (json) {
          if (res.ok) return json;
          var err = new Error((json.error && json.error.message) || "The request failed.");
          err.error = json.error || { type: "api_error", message: err.message };
          err.status = res.status;
          throw err;
        });
      });
    }

    return {
      createPaymentMethod: function (card) {
        return post("/v1/payment_methods", {
          type: "card",
          card: {
            number: String(card.number || "").replace(/[\s-]/g, ""),
            exp_month: parseInt(card.exp_month, 10),
            exp_year: parseInt(card.exp_year, 10),
            cvc: String(card.cvc || ""),
          },
        });
      },
      confirmPayment: function (paymentId, clientSecret, paymentMethodId) {
        return post("/v1/payments/" + encodeURIComponent(paymentId) + "/confirm", {
          payment_method: paymentMethodId,
          client_secret: clientSecret,
        });
      },
    };
  }

  /* The hosted page: wires the form of /pay/{payment_id} to the API. */
  function mountHostedPage() {
    var form = document.getElementById("payment-form");
    if (!form) return;
    var data = form.dataset;
    var apiBase = location.pathname.slice(0, location.pathname.lastIndexOf("/pay/"));
    var paynectra = Paynectra(data.publishableKey, { apiBase: apiBase });
    var status = document.getElementById("status");
    var button = document.getElementById("pay");

    function say(message, isError) {
      status.textContent = message;
      status.className = isError ? "status error" : "status";
    }

    // The form works only through this script (its inputs have no names and
    // its action goes nowhere), so a card never travels in a URL.
    button.disabled = false;

    function done(payment) {
      if (data.returnUrl) {
        var url = new URL(data.returnUrl);
        url.searchParams.set("payment_id", payment.id);
        url.searchParams.set("status", payment.status);
        location.assign(url.toString());
      } else {
        form.hidden = true;
        say("Payment complete. You can close this page.", false);
      }
    }

    form.addEventListener("submit", function (event) {
      event.stopPropagation();
      event.preventDefault();
      button.disabled = true;
      say("Processing…", false);
      var expiry = (form.elements["expiry"].value || "").split("/");
      var year = parseInt((expiry[1] || "").trim(), 10);
      paynectra
        .createPaymentMethod({
          number: form.elements["number"].value,
          exp_month: (expiry[0] || "").trim(),
          exp_year: year < 100 ? 2000 + year : year,
          cvc: form.elements["cvc"].value,
        })
        .then(function (pm) {
          return paynectra.confirmPayment(data.paymentId, data.clientSecret, pm.id);
        })
        .then(done)
        .catch(function (err) {
          button.disabled = false;
          say((err.error && err.error.message) || "Something went wrong. Please try again.", true);
        });
    });
  }

  global.Paynectra = Paynectra;
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountHostedPage);
    else mountHostedPage();
  }
})(this);
