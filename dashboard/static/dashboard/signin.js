// The sign-in page: a JWT pair from /auth/token, then the console.
import { ApiError, hasRefreshToken, signIn, takeSignOutReason } from "./session.js";

const form = document.getElementById("signin-form");
const error = document.getElementById("signin-error");
const message = document.getElementById("signin-message");

const reason = takeSignOutReason();
if (reason) {
  message.textContent = reason;
  message.hidden = false;
} else if (hasRefreshToken()) {
  window.location.replace("/");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = document.getElementById("signin-submit");
  button.disabled = true;
  try {
    await signIn(form.username.value, form.password.value);
    window.location.assign("/");
  } catch (exc) {
    error.textContent = exc instanceof ApiError ? exc.message : "The server could not be reached.";
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
