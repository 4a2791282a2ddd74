// The languages, re-exported for the i18n modules; the list lives in lib/universal (browser-safe).
export * from '@/lib/universal/locales';
