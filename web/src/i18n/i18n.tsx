import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

/**
 * Vietnamese first, English second. Each feature keeps its labels in a `messages.ts` beside its
 * screens: `vi` and `en` with the same keys (TypeScript checks it, and
 * web/src/i18n/messages.spec.ts checks every file's keys and placeholders).
 */
export type Locale = 'vi' | 'en';
export const LOCALES: Locale[] = ['vi', 'en'];
const STORAGE_KEY = 'threat-exchange.locale';

export interface MessageBundle<V extends Record<string, string>> {
  vi: V;
  en: Record<keyof V, string>;
}

interface LocaleContextValue {
  locale: Locale;
  setLocale: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleContextValue>({ locale: 'vi', setLocale: () => {} });

function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'en' ? 'en' : 'vi';
}

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);
  document.documentElement.lang = locale;
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleContextValue {
  return useContext(LocaleContext);
}

/** BCP 47 tags for Intl: dates and numbers in the chosen language's conventions. */
export const INTL_LOCALE: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };

export type Translate<V> = (
  key: keyof V & string,
  vars?: Record<string, string | number>,
) => string;

/** `t(key, {name: value})`: the label in the chosen language, `{name}` replaced (numbers formatted). */
export function useMessages<V extends Record<string, string>>(
  bundle: MessageBundle<V>,
): Translate<V> {
  const { locale } = useLocale();
  return useCallback(
    (key, vars) => {
      const text = (bundle[locale] as Record<string, string>)[key] ?? String(key);
      if (!vars) return text;
      const numbers = new Intl.NumberFormat(INTL_LOCALE[locale]);
      return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
        const value = vars[name];
        if (value === undefined) return whole;
        return typeof value === 'number' ? numbers.format(value) : value;
      });
    },
    [bundle, locale],
  );
}

export interface Formatters {
  number: (value: number | null | undefined, digits?: number) => string;
  percent: (value: number | null | undefined) => string;
  dateTime: (iso: string | null | undefined) => string;
  date: (iso: string | null | undefined) => string;
  /** A duration in seconds, as "2 giờ 5 phút" / "2 h 5 min". */
  duration: (seconds: number | null | undefined) => string;
}

export function useFormat(): Formatters {
  const { locale } = useLocale();
  return useMemo(() => {
    const tag = INTL_LOCALE[locale];
    const dash = '—';
    const dateTimeFormat = new Intl.DateTimeFormat(tag, { dateStyle: 'short', timeStyle: 'short' });
    const dateFormat = new Intl.DateTimeFormat(tag, { dateStyle: 'medium' });
    const units = (value: number, unit: 'day' | 'hour' | 'minute' | 'second') =>
      new Intl.NumberFormat(tag, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
    return {
      number: (value, digits = 0) =>
        value === null || value === undefined
          ? dash
          : new Intl.NumberFormat(tag, { maximumFractionDigits: digits }).format(value),
      percent: (value) =>
        value === null || value === undefined
          ? dash
          : new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 1 }).format(
              value / 100,
            ),
      dateTime: (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : dash),
      date: (iso) => (iso ? dateFormat.format(new Date(iso)) : dash),
      duration: (seconds) => {
        if (seconds === null || seconds === undefined) return dash;
        const s = Math.round(seconds);
        if (s < 60) return units(s, 'second');
        // Whole minutes first, so that 23 h 59 min 40 s is "24 h", never "23 h 60 min".
        const minutes = Math.round(s / 60);
        if (minutes < 60) return units(minutes, 'minute');
        if (minutes < 24 * 60) {
          const h = Math.floor(minutes / 60);
          const m = minutes % 60;
          return m ? `${units(h, 'hour')} ${units(m, 'minute')}` : units(h, 'hour');
        }
        return units(Math.round((s / 86400) * 10) / 10, 'day');
      },
    };
  }, [locale]);
}
