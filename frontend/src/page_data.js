// What page scripts read from their templates: JSON blocks (translated messages,
// labels) and {placeholder} messages. Shared by the routing map and the tally screen.

/** Fill {placeholders} of a translated message. */
export function format(template, values = {}) {
  return String(template || '').replace(/\{(\w+)\}/g, (match, key) =>
    Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match,
  );
}

/** The JSON inside the element ``selector`` of ``root``; {} when absent or unreadable. */
export function readJson(root, selector) {
  const script = root.querySelector(selector);
  if (!script) return {};
  try {
    return JSON.parse(script.textContent || '{}');
  } catch (error) {
    console.warn('corridor: unreadable', selector, error);
    return {};
  }
}
