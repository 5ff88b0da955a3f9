import { Matches } from 'class-validator';

/** A string with at least one character that is not whitespace: @Length(1, …) alone accepts "   ". */
export const NotBlank = (): PropertyDecorator =>
  Matches(/\S/, { message: '$property must not be blank' });
