import type { FieldSpec, FieldValue } from "./form.js";

interface Props {
  fields: FieldSpec[];
  values: Record<string, FieldValue>;
  errors: Record<string, string[]>;
  onChange(name: string, value: FieldValue): void;
  disabled: boolean;
}

/** Messages of a field, announced to screen readers and tied to the input. */
function Problems({ id, problems }: { id: string; problems: string[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <p class="error" id={id} role="alert">
      {problems.join("; ")}
    </p>
  );
}

/** The parameter fields of one experiment, generated from its schema; errors next to each. */
export function ParamForm({ fields, values, errors, onChange, disabled }: Props) {
  return (
    <div class="fields">
      {fields.map((f) => {
        const id = `param-${f.name}`;
        const errId = `${id}-error`;
        const problems = errors[f.name];
        const invalid = problems !== undefined && problems.length > 0;
        const value = values[f.name];
        if (f.kind === "multi") {
          const chosen = value as string[];
          return (
            <fieldset class="field multi" key={f.name} aria-describedby={invalid ? errId : undefined}>
              <legend title={f.description}>
                <code>{f.name}</code> <span class="desc">{f.description}</span>
              </legend>
              <div class="choices">
                {f.options.map((o) => (
                  <label key={o}>
                    <input
                      type="checkbox"
                      name={f.name}
                      value={o}
                      checked={chosen.includes(o)}
                      disabled={disabled}
                      onChange={(e) => {
                        const on = (e.currentTarget as HTMLInputElement).checked;
                        onChange(f.name, on ? [...chosen, o] : chosen.filter((c) => c !== o));
                      }}
                    />
                    {o}
                  </label>
                ))}
              </div>
              <Problems id={errId} problems={problems} />
            </fieldset>
          );
        }
        return (
          <div class={`field ${invalid ? "invalid" : ""}`} key={f.name}>
            <label for={id} title={f.description}>
              <code>{f.name}</code> <span class="desc">{f.description}</span>
            </label>
            {f.kind === "select" ? (
              <select
                id={id}
                name={f.name}
                value={value as string}
                disabled={disabled}
                aria-invalid={invalid}
                aria-describedby={invalid ? errId : undefined}
                onChange={(e) => onChange(f.name, (e.currentTarget as HTMLSelectElement).value)}
              >
                {f.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.kind === "checkbox" ? (
              <input
                id={id}
                type="checkbox"
                name={f.name}
                checked={value === true}
                disabled={disabled}
                onChange={(e) => onChange(f.name, (e.currentTarget as HTMLInputElement).checked)}
              />
            ) : (
              <input
                id={id}
                type="text"
                name={f.name}
                value={value as string}
                disabled={disabled}
                spellcheck={false}
                autocomplete="off"
                aria-invalid={invalid}
                aria-describedby={invalid ? errId : undefined}
                placeholder={f.infinity ? "∞ for population" : undefined}
                onInput={(e) => onChange(f.name, (e.currentTarget as HTMLInputElement).value)}
              />
            )}
            <Problems id={errId} problems={problems} />
          </div>
        );
      })}
    </div>
  );
}
