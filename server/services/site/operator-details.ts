import { env } from '@/server/env';
import type { OperatorDetails } from '@/lib/universal/operator';

/** Who runs this installation, as configured (LATHE_OPERATOR_* in server/env.ts), for the legal pages. */
export function operatorDetails(): OperatorDetails {
  return {
    name: env.LATHE_OPERATOR_NAME,
    address: env.LATHE_OPERATOR_ADDRESS?.replace(/\\n/g, '\n'),
    email: env.LATHE_OPERATOR_EMAIL,
    representative: env.LATHE_OPERATOR_REPRESENTATIVE,
    register: env.LATHE_OPERATOR_REGISTER,
    vatId: env.LATHE_OPERATOR_VAT_ID,
  };
}
