import { OrganizationSettings } from '@/components/settings/organization-settings';

export default function OrganizationSettingsPage() {
  return <OrganizationSettings />;
}
