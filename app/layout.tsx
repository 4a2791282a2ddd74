// The root layout only passes through: each part of the site renders its own document, so
// `<html lang>` is right everywhere and the public pages stay static. The public site renders it
// in app/[locale]/layout.tsx (locale from the URL), the dashboard and sign-in pages in
// components/layout/app-document.tsx (locale from the user's setting, cookie or browser), and
// /docs in its own layout.
import './globals.css';

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return children;
}
