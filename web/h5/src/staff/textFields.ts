import type { FieldProps } from 'vant'

/** A text field of a form: its name (the key of its value and of its problem) and what Vant's field takes besides. */
export type TextField<K extends string> = { name: K; label: string } & Partial<
  Pick<FieldProps, 'type' | 'placeholder' | 'inputmode' | 'autocomplete' | 'autocapitalize' | 'maxlength'>
>
