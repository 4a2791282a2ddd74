import { LanguageSettings } from '@/components/settings/language-settings';
import { NotificationSettings } from '@/components/settings/notification-settings';
import { ProfileSettings } from '@/components/settings/profile-settings';

export default function ProfileSettingsPage() {
  return (
    <div className="grid gap-6">
      <ProfileSettings />
      <LanguageSettings />
      <NotificationSettings />
    </div>
  );
}
