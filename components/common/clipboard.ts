/**
 * Copies text to the clipboard. The async Clipboard API only exists in secure contexts, and a
 * self-hosted Lathe is often reached over plain http on a LAN address, so fall back to a
 * selected textarea and execCommand there.
 */
export async function copyText(text: string): Promise<void> {
  if (typeof navigator !== 'undefined' && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission can be refused (e.g. inside an iframe); the fallback below may still work.
    }
  }

  const previouslyFocused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const textarea = document.createElement('textarea');
  textarea.value = text;
  textarea.setAttribute('readonly', '');
  textarea.style.position = 'fixed';
  textarea.style.top = '0';
  textarea.style.left = '0';
  textarea.style.opacity = '0';
  document.body.appendChild(textarea);
  textarea.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } finally {
    textarea.remove();
    previouslyFocused?.focus();
  }
  if (!copied) {
    throw new Error('The browser refused to copy to the clipboard');
  }
}
