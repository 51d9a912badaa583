/**
 * Where an API refusal shows in a dialog: beside the form field the problem names (`field`:
 * `username`, `orgIds.2`, …), or, when it names none of the form's fields, above the dialog's
 * buttons. Field errors found before sending are set the same way.
 */
import { reactive, ref } from 'vue';
import { fieldOf, messageOf } from '../../api/client';

export function useFormErrors<F extends string>(fields: readonly F[]) {
  const errors = reactive({}) as Partial<Record<F, string>>;
  const general = ref('');
  function clear(): void {
    for (const f of fields) delete errors[f];
    general.value = '';
  }
  /**
   * Shows a refusal beside its field (the first segment of `field`: `orgIds.2` → `orgIds`) when the
   * open form shows that field (`shown`, default all), else as the form's error.
   */
  function place(error: unknown, shown: readonly F[] = fields): void {
    const field = fieldOf(error)?.split('.')[0] as F | undefined;
    if (field && shown.includes(field)) errors[field] = messageOf(error);
    else general.value = messageOf(error);
  }
  return { errors, general, clear, place };
}
