// Words the pages build from translated templates.

/** Fill %(name)s placeholders (the syntax of Django's gettext strings). */
export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key] ?? ""));
}
