import type { FormRule } from 'antd';
import type { z } from 'zod/mini';

/**
 * A form field's rule from a zod schema: the form shows `message` (in the chosen language)
 * when the value does not parse. The screens' schemas are the single statement of what a
 * field accepts, mirroring the API's bounds.
 */
export function zodRule(schema: z.ZodMiniType, message: string): FormRule {
  return {
    validator: (_rule, value: unknown) =>
      schema.safeParse(value ?? undefined).success
        ? Promise.resolve()
        : Promise.reject(new Error(message)),
  };
}
