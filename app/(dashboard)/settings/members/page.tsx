import { MembersTable } from '@/components/settings/members-table';

export default function MembersPage() {
  return <MembersTable />;
}
