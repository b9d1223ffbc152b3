// The profile's "receive my notifications on this device": ask the browser
// for a push subscription with the platform's VAPID public key, then give it
// to Flotte (POST /profile/devices/). Shown only where the browser can.
"use strict";
(function () {
  const box = document.getElementById("push-device");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  box.hidden = false;
  const state = document.getElementById("push-state");
  const button = document.getElementById("push-enable");

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function subscribe() {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        state.textContent = button.dataset.refused || "";
        return;
      }
      const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.publicKey),
      });
      const response = await fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON()),
      });
      const answer = await response.json();
      state.textContent = answer.message || "";
      if (response.ok) window.setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      state.textContent = String(error);
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", subscribe);
})();
