import { ProfileSettings } from '@/components/settings/profile-settings';

export default function ProfileSettingsPage() {
  return <ProfileSettings />;
}
