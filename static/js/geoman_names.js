// Geoman's toolbar buttons are links with only an icon, their title on a parent element: give
// each its name, or screen readers announce "link" once per tool (axe-core: link-name, serious).
// Called after map.pm.addControls (and after map.pm.setLang, which sets the titles).

/** Name every Geoman toolbar button on `map` after its title. */
export function nameToolButtons(map) {
  for (const button of map.getContainer().querySelectorAll(".leaflet-buttons-control-button")) {
    const name = button.closest("[title]")?.getAttribute("title");
    if (name) button.setAttribute("aria-label", name);
  }
}
