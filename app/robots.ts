import type { MetadataRoute } from 'next';
import { siteOrigin } from '@/components/marketing/page-metadata';

// The public site and the docs are for crawlers; the product, its APIs and the OG images' sources are not.
// Read per request, so the URLs follow PUBLIC_URL as the server runs, not as it was built.
export const dynamic = 'force-dynamic';

export default function robots(): MetadataRoute.Robots {
  return {
    rules: { userAgent: '*', allow: '/', disallow: ['/api/', '/v1/', '/datasets', '/jobs', '/models', '/playground', '/settings', '/usage', '/admin', '/api-keys'] },
    sitemap: `${siteOrigin()}/sitemap.xml`,
  };
}
