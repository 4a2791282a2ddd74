import { LanguageSettings } from '@/components/settings/language-settings';
import { ProfileSettings } from '@/components/settings/profile-settings';

export default function ProfileSettingsPage() {
  return (
    <div className="grid gap-6">
      <ProfileSettings />
      <LanguageSettings />
    </div>
  );
}
