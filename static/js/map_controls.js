// The citywide map's template controls (sites/map.html <template>s: "export this view", the
// feature table): cloned into a Leaflet control at the top right, installed once the map is up.

const L = window.L;

/**
 * Clone the first element of <template id=templateId> into a control at the top right of
 * `map` (clicks and the wheel stay off the map); null when the page has no such template.
 * Top right: bottom left is the filter panel's, bottom right the legend's, so an opened
 * control drops into the map's free corner instead of growing up over the filters.
 */
export function templateControl(map, templateId) {
  const template = document.getElementById(templateId);
  if (!template) return null;
  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const root = template.content.firstElementChild.cloneNode(true);
    L.DomEvent.disableClickPropagation(root);
    L.DomEvent.disableScrollPropagation(root);
    return root;
  };
  control.addTo(map);
  return control.getContainer();
}

/** Call install(portal) once the citywide map (map.js) has loaded: now, if it already has. */
export function onPortalMap(install) {
  if (window.portalMap) {
    install(window.portalMap);
  } else {
    document.addEventListener("portal:map-ready", (event) => install(event.detail), {
      once: true,
    });
  }
}
