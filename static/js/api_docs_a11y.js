// Swagger UI's page structure, fixed as it draws (geo/templates/geo/api_docs.html loads this
// after Swagger UI): its title is an h1 and its sections (the tags, h3, and the schemas, h4)
// become level 2, the headings inside an operation 3 and 4; the API's description above
// <main> becomes a named region, so no content sits outside a landmark; the parameters'
// inputs get their parameter's name (axe-core: heading-order, region, label, select-name).
(function () {
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  const levels = [
    ["h3.opblock-tag, section.models > h4", "2"],
    [".opblock-tag-section h4", "3"],
    [".opblock-tag-section h5", "4"],
  ];
  const fix = () => {
    for (const [selector, level] of levels) {
      for (const heading of root.querySelectorAll(selector)) {
        if (!heading.hasAttribute("aria-level")) heading.setAttribute("aria-level", level);
      }
    }
    // A parameter's value controls, named by the parameter (the row shows it, unlinked).
    for (const control of root.querySelectorAll(
      "tr[data-param-name] :is(select, input, textarea):not([aria-label])")) {
      control.setAttribute("aria-label", control.closest("tr").dataset.paramName);
    }
    const info = root.querySelector(".information-container:not([role])");
    if (info) {
      info.setAttribute("role", "region");
      info.setAttribute("aria-label", document.title);
    }
  };
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  fix();
})();
