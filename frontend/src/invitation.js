// The invitation link carries its single-use token in the URL fragment
// (#token=...), which browsers never send to the server, so it stays out of
// server and proxy logs. This copies it into the accept form.
export function fillInvitationToken() {
  const input = document.querySelector('form[data-invitation] input[name="token"]');
  if (!input) return;
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash || '');
  if (match && !input.value) {
    input.value = decodeURIComponent(match[1]);
    history.replaceState(null, '', window.location.pathname);
  }
}
