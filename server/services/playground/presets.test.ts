// Playground presets on the real database, through the tRPC procedures the playground and the SDK
// call: private to the member who saved them until shared, changed only by that member, names
// unique per member, parameters inside the playground's bounds, and readable through an API key.
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, callerForKey, createTestKey, createTestUser, joinOrganization, type TestUser } from '@/tests/helpers/factories';

let owner: TestUser;
let member: TestUser;
const params = { temperature: 0.2, topP: 0.9, maxTokens: 128 };
/** The member acting in the owner's project (their own personal project is their default). */
const asMember = () => callerFor(member, { requestedProjectId: owner.project.id, projectExplicit: true });
const codeOf = async (call: Promise<unknown>) => ((await call.catch((e: unknown) => e)) as TRPCError).code;

beforeAll(async () => {
  owner = await createTestUser();
  member = await createTestUser();
  await joinOrganization(owner, member, 'MEMBER');
});

describe('playground presets', () => {
  it('keeps a private preset to its author, and shows a shared one to the whole project', async () => {
    const mine = await callerFor(owner).playground.preset.create({ name: 'Terse', systemPrompt: 'Answer in one line.', parameters: params, shared: false });
    const shared = await callerFor(owner).playground.preset.create({ name: 'Support bot', systemPrompt: 'You answer support tickets.', parameters: { ...params, temperature: 0 }, shared: true });
    expect(mine).toMatchObject({ name: 'Terse', systemPrompt: 'Answer in one line.', parameters: params, shared: false, mine: true });

    const ownerList = await callerFor(owner).playground.preset.list();
    expect(ownerList.map((p) => p.name)).toEqual(['Support bot', 'Terse']);
    const memberList = await asMember().playground.preset.list();
    expect(memberList.map((p) => [p.name, p.mine, p.author])).toEqual([['Support bot', false, owner.user.name || owner.email]]);
    expect(memberList[0]!.id).toBe(shared.id);
    // Another project of the same organization is another tenant's list.
    expect(await callerFor(member).playground.preset.list()).toEqual([]);
  });

  it('lets only the author change or delete a preset; others may save their own under the same name', async () => {
    const shared = (await asMember().playground.preset.list()).find((p) => p.name === 'Support bot')!;
    const fields = { name: 'Support bot', systemPrompt: 'Changed by someone else', parameters: params, shared: true };
    expect(await codeOf(asMember().playground.preset.update({ id: shared.id, fields }))).toBe('FORBIDDEN');
    expect(await codeOf(asMember().playground.preset.delete({ id: shared.id }))).toBe('FORBIDDEN');
    const privateOne = (await callerFor(owner).playground.preset.list()).find((p) => p.name === 'Terse')!;
    // A private preset of another member is not even there for them.
    expect(await codeOf(asMember().playground.preset.delete({ id: privateOne.id }))).toBe('NOT_FOUND');

    const copy = await asMember().playground.preset.create(fields);
    expect(copy).toMatchObject({ mine: true, systemPrompt: 'Changed by someone else' });
    expect((await getDb().playgroundPreset.findUniqueOrThrow({ where: { id: shared.id } })).systemPrompt).toBe('You answer support tickets.');
  });

  it('refuses a second preset of the same name by the same author with a sentence that says what to do', async () => {
    const error = (await callerFor(owner)
      .playground.preset.create({ name: 'Terse', systemPrompt: '', parameters: params, shared: false })
      .catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('You already have a preset named "Terse"; choose another name or update that one.');
  });

  it('updates and deletes the author\'s own preset, with an audit entry for each', async () => {
    const caller = callerFor(owner);
    const terse = (await caller.playground.preset.list()).find((p) => p.name === 'Terse')!;
    const updated = await caller.playground.preset.update({ id: terse.id, fields: { name: 'Terser', systemPrompt: 'One word.', parameters: { ...params, maxTokens: 8 }, shared: true } });
    expect(updated).toMatchObject({ name: 'Terser', systemPrompt: 'One word.', parameters: { maxTokens: 8 }, shared: true });
    expect((await asMember().playground.preset.list()).map((p) => p.name)).toContain('Terser');
    await caller.playground.preset.delete({ id: terse.id });
    expect(await getDb().playgroundPreset.count({ where: { id: terse.id } })).toBe(0);
    const actions = await getDb().auditLogEntry.findMany({ where: { targetId: terse.id }, orderBy: { createdAt: 'asc' }, select: { action: true } });
    expect(actions.map((a) => a.action)).toEqual(['playground_preset.create', 'playground_preset.update', 'playground_preset.delete']);
  });

  it('rejects parameters outside the playground\'s bounds and an empty name', async () => {
    const caller = callerFor(owner);
    for (const parameters of [{ ...params, temperature: 2.5 }, { ...params, topP: 0 }, { ...params, maxTokens: 1.5 }, { ...params, maxTokens: 5000 }]) {
      expect(await codeOf(caller.playground.preset.create({ name: 'Out of bounds', systemPrompt: '', parameters, shared: false }))).toBe('BAD_REQUEST');
    }
    expect(await codeOf(caller.playground.preset.create({ name: '   ', systemPrompt: '', parameters: params, shared: false }))).toBe('BAD_REQUEST');
  });

  it('serves an API key the presets of the member who created it', async () => {
    const key = await createTestKey(owner);
    const names = (await (await callerForKey(key)).playground.preset.list()).map((p) => p.name);
    expect(names).toContain('Support bot');
    const created = await (await callerForKey(key)).playground.preset.create({ name: 'From the SDK', systemPrompt: 'Hi', parameters: params, shared: false });
    expect(created.mine).toBe(true);
    expect((await callerFor(owner).playground.preset.list()).map((p) => p.name)).toContain('From the SDK');
  });
});
