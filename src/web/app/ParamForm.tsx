import type { ComponentChildren } from "preact";
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

interface TextFieldProps {
  id: string;
  label: ComponentChildren;
  title?: string;
  value: string;
  problems: string[] | undefined;
  disabled: boolean;
  placeholder?: string;
  numeric?: boolean;
  onInput(value: string): void;
}

/** A labelled text input with its validation messages (`<id>-error`) tied to it. */
export function TextField(p: TextFieldProps) {
  const invalid = p.problems !== undefined && p.problems.length > 0;
  const errId = `${p.id}-error`;
  return (
    <div class={`field ${invalid ? "invalid" : ""}`}>
      <label for={p.id} title={p.title}>
        {p.label}
      </label>
      <input
        id={p.id}
        type="text"
        name={p.id}
        value={p.value}
        disabled={p.disabled}
        spellcheck={false}
        autocomplete="off"
        inputMode={p.numeric ? "numeric" : undefined}
        aria-invalid={invalid}
        aria-describedby={invalid ? errId : undefined}
        placeholder={p.placeholder}
        onInput={(e) => p.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      <Problems id={errId} problems={p.problems} />
    </div>
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
        const label = (
          <>
            <code>{f.name}</code> <span class="desc">{f.description}</span>
          </>
        );
        if (f.kind === "text") {
          return (
            <TextField
              key={f.name}
              id={id}
              label={label}
              title={f.description}
              value={value as string}
              problems={problems}
              disabled={disabled}
              placeholder={f.infinity ? "∞ for population" : undefined}
              onInput={(v) => onChange(f.name, v)}
            />
          );
        }
        return (
          <div class={`field ${invalid ? "invalid" : ""}`} key={f.name}>
            <label for={id} title={f.description}>
              {label}
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
            ) : (
              <input
                id={id}
                type="checkbox"
                name={f.name}
                checked={value === true}
                disabled={disabled}
                onChange={(e) => onChange(f.name, (e.currentTarget as HTMLInputElement).checked)}
              />
            )}
            <Problems id={errId} problems={problems} />
          </div>
        );
      })}
    </div>
  );
}
