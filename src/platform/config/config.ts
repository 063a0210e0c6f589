import 'reflect-metadata';
import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import ipaddr from 'ipaddr.js';
import {
  getMetadataStorage,
  IsInt,
  Max,
  Min,
  validateSync,
  ValidateBy,
  type ValidationError,
} from 'class-validator';
import { SECRET_VARIABLES } from '#src/platform/config/secret-files.js';

/*
 * What every section of the configuration is made of. Each context declares its own section
 * (`src/<context>/<context>.config.ts`: a class whose properties are the environment variables
 * it reads, with their defaults and checks), which is also its injection token; the
 * composition root (`src/app/config.ts`) reads them all once at boot.
 */

export const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
/** An integer variable within [min, max], converted from its string; one message for all. */
export function IntInRange(min: number, max: number, note = ''): PropertyDecorator {
  const message = ({ property }: { property: string }): string =>
    `${property} must be an integer between ${min}${note} and ${max}`;
  return applyDecorators(
    Transform(toInt),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

/** Comma-separated CIDRs (ipaddr.js), or an empty string. */
export function parseCidrList(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => ipaddr.parseCIDR(part));
}

export function IsCidrList(message: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidrList',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parseCidrList(value);
            return true;
          } catch {
            return false;
          }
        },
      },
    },
    { message },
  );
}

export const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** A section of the configuration: a class of decorated properties named after their variables. */
export type ConfigSection<T extends object = object> = new () => T;

/**
 * Names of every variable a section reads, in declaration order: each property carries at least
 * one check, so the validation metadata lists them all, those without a default too.
 */
export function configKeys(section: ConfigSection): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(section, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function firstMessage(error: ValidationError): string {
  // A secret's value is never repeated (the message reaches the log and the terminal).
  const shown = error.value !== undefined && !SECRET_VARIABLES.includes(error.property);
  const got = shown ? ` (got ${JSON.stringify(error.value)})` : '';
  const message = Object.values(error.constraints ?? {})[0] ?? `${error.property} is invalid`;
  return `${message}${got}`;
}

/**
 * Reads one section from an environment. Unknown variables are ignored (the environment holds
 * far more than ours); ours are trimmed, converted and checked. Returns the section and one
 * line per wrong variable.
 */
export function readSection<T extends object>(
  section: ConfigSection<T>,
  env: NodeJS.ProcessEnv,
): { config: T; problems: string[] } {
  const raw: Record<string, string> = {};
  for (const key of configKeys(section)) {
    const value = env[key];
    if (value !== undefined) raw[key] = value;
  }
  const config = plainToInstance(section, raw);
  const errors = validateSync(config, { forbidUnknownValues: true });
  return { config, problems: errors.map((e) => firstMessage(e)) };
}
