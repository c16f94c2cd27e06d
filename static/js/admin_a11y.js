// Accessible names Django's admin leaves out (templates/admin/base_site.html loads this):
// - select2's combobox (autocomplete fields) is labelled only by its current value, so an
//   empty one has no name at all: it is named by its field's label (or, in a tabular inline,
//   the select's aria-label from geo.admin.LabelledTabularInline), followed by its value;
// - a tabular inline's first column (each saved record's name) has an empty heading: it gets
//   the inline's own heading, for screen readers only.

function fieldName(select) {
  const label = select.labels?.[0]?.textContent ?? select.getAttribute("aria-label") ?? "";
  return label.replace(/[:：]\s*$/, "").trim();
}

function hiddenText(id, text) {
  const span = document.createElement("span");
  if (id) span.id = id;
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}

/** Name each select2 combobox under `root` after its field. */
export function nameComboboxes(root) {
  for (const select of root.querySelectorAll("select.admin-autocomplete")) {
    const combobox = select.nextElementSibling?.querySelector(".select2-selection[role=combobox]");
    const name = fieldName(select);
    if (!combobox || !name || !select.id) continue;
    const nameId = `${select.id}-name`;
    if (!document.getElementById(nameId)) combobox.before(hiddenText(nameId, name));
    // The value shown inside (role textbox) is named by the field too.
    const rendered = combobox.querySelector(".select2-selection__rendered");
    if (rendered) rendered.setAttribute("aria-labelledby", nameId);
    combobox.setAttribute("aria-labelledby", rendered?.id ? `${nameId} ${rendered.id}` : nameId);
  }
}

/** Give each tabular inline's empty first heading the inline's name. */
export function nameOriginalColumns(root) {
  for (const th of root.querySelectorAll(".tabular thead th.original")) {
    if (th.textContent.trim()) continue;
    const heading = th.closest("fieldset")?.querySelector("h2")?.textContent.trim();
    if (heading) th.append(hiddenText(null, heading));
  }
}

function run(root) {
  nameComboboxes(root);
  nameOriginalColumns(root);
}

// Django's autocomplete.js starts select2 on jQuery's ready and on each added inline row;
// both handlers were registered before this module ran, so ours run after theirs.
const jq = window.django?.jQuery;
if (jq) jq(() => run(document));
else run(document);
document.addEventListener("formset:added", (event) => nameComboboxes(event.target));
