import { describe, expect, it } from 'vitest';
import { conversationName } from '../src/core/format';
import { groupStatus, minWatermarks, nameIn, previewText, senderColour, SENDER_COLOURS, systemEvent, systemText } from '../src/core/groups';
import { messageStatus } from '../src/core/status';
import { ChatStore } from '../src/core/store';
import type { Conversation, Member, Message, SystemEvent } from '../src/core/types';
import { ALICE, BOB, member, msg } from './helpers';

const CAROL = { id: 3, username: 'carol', display_name: 'Carol' };
const DAVE = { id: 4, username: 'dave', display_name: 'Dave' };
const T0 = 1_700_000_000_000;

function names(id: number): string {
  return [ALICE, BOB, CAROL, DAVE].find((u) => u.id === id)?.display_name ?? 'Unknown';
}

function sys(conversation_id: number, seq: number, sender: number, system: SystemEvent): Message {
  return { ...msg(conversation_id, seq, sender), kind: 'system', text: JSON.stringify(system), client_id: `sys-${seq}`, system };
}

function rosterMember(u: typeof ALICE, delivered: number, read: number, role = 'member', joined_at = T0): Member {
  return { ...member(u, delivered, read), role, joined_at };
}

/** A group as the server describes it to Alice: only her own entry in `members`. */
function group(id: number, last_seq: number, opts: Partial<Conversation> = {}): Conversation {
  return {
    id,
    kind: 'group',
    peer: null,
    members: [{ ...member(ALICE, last_seq, last_seq), role: 'admin' }],
    last_seq,
    last_activity: T0 + last_seq,
    created_at: T0,
    last_message: null,
    version: 10 + last_seq,
    name: 'Climbing',
    description: 'Saturdays',
    member_count: 3,
    role: 'admin',
    left: false,
    min_delivered_seq: 0,
    min_read_seq: 0,
    ...opts,
  };
}

describe('system messages in words', () => {
  const t = (ev: SystemEvent, me = ALICE.id) => systemText(ev, me, names);

  it('group_created', () => {
    const ev = { event: 'group_created', actor_id: ALICE.id, name: 'Climbing', users: [BOB, CAROL] };
    expect(t(ev, BOB.id)).toBe('Alice created the group "Climbing"');
    expect(t(ev)).toBe('You created the group "Climbing"');
  });

  it('members_added, with the viewer as "you" first', () => {
    expect(t({ event: 'members_added', actor_id: ALICE.id, users: [BOB, CAROL] }, DAVE.id)).toBe('Alice added Bob and Carol');
    expect(t({ event: 'members_added', actor_id: ALICE.id, users: [BOB, CAROL, DAVE] }, 99)).toBe('Alice added Bob, Carol and Dave');
    expect(t({ event: 'members_added', actor_id: ALICE.id, users: [DAVE] })).toBe('You added Dave');
    expect(t({ event: 'members_added', actor_id: ALICE.id, users: [BOB, DAVE] }, DAVE.id)).toBe('Alice added you and Bob');
  });

  it('member_removed', () => {
    const ev = { event: 'member_removed', actor_id: ALICE.id, users: [BOB] };
    expect(t(ev, CAROL.id)).toBe('Alice removed Bob');
    expect(t(ev, BOB.id)).toBe('Alice removed you');
    expect(t(ev)).toBe('You removed Bob');
  });

  it('member_left', () => {
    const ev = { event: 'member_left', actor_id: BOB.id, users: [BOB] };
    expect(t(ev)).toBe('Bob left');
    expect(t(ev, BOB.id)).toBe('You left');
  });

  it('admin_promoted, automatic when actor_id is null', () => {
    expect(t({ event: 'admin_promoted', actor_id: null, users: [CAROL] })).toBe('Carol is now an admin');
    expect(t({ event: 'admin_promoted', actor_id: null, users: [CAROL] }, CAROL.id)).toBe("You're now an admin");
    expect(t({ event: 'admin_promoted', actor_id: ALICE.id, users: [CAROL] }, BOB.id)).toBe('Alice made Carol an admin');
    expect(t({ event: 'admin_promoted', actor_id: ALICE.id, users: [CAROL] }, CAROL.id)).toBe('Alice made you an admin');
    expect(t({ event: 'admin_promoted', actor_id: ALICE.id, users: [CAROL] })).toBe('You made Carol an admin');
  });

  it('admin_demoted', () => {
    expect(t({ event: 'admin_demoted', actor_id: ALICE.id, users: [BOB] })).toBe('Bob is no longer an admin');
    expect(t({ event: 'admin_demoted', actor_id: ALICE.id, users: [BOB] }, BOB.id)).toBe("You're no longer an admin");
  });

  it('group_renamed and description_changed', () => {
    expect(t({ event: 'group_renamed', actor_id: ALICE.id, name: 'Bouldering' }, BOB.id)).toBe('Alice changed the group name to "Bouldering"');
    expect(t({ event: 'group_renamed', actor_id: ALICE.id, name: 'Bouldering' })).toBe('You changed the group name to "Bouldering"');
    expect(t({ event: 'description_changed', actor_id: ALICE.id, description: 'Sundays' }, BOB.id)).toBe('Alice changed the group description');
    expect(t({ event: 'description_changed', actor_id: ALICE.id, description: 'Sundays' })).toBe('You changed the group description');
  });

  it('unknown events and a missing system object', () => {
    expect(t({ event: 'group_exploded', actor_id: ALICE.id })).toBe('Unsupported message');
    const m = { kind: 'system', text: '{"event":"member_left","actor_id":2,"users":[{"id":2,"username":"bob","display_name":"Bob"}]}' };
    expect(systemEvent(m)?.event).toBe('member_left');
    expect(systemEvent({ kind: 'system', text: 'not json' })).toBeNull();
    expect(systemEvent({ kind: 'text', text: '{"event":"x"}' })).toBeNull();
  });

  it('names senders who left from what the group\'s messages said', () => {
    const store = new ChatStore(ALICE.id);
    store.upsertConversation(group(9, 0));
    store.addMessages([sys(9, 1, ALICE.id, { event: 'group_created', actor_id: ALICE.id, name: 'Climbing', users: [BOB, CAROL] })]);
    expect(nameIn(store.conversation(9), CAROL.id)).toBe('Carol');
    expect(nameIn(store.conversation(9), 77)).toBe('Unknown');
  });
});

describe('chat list of groups', () => {
  it('names the group and previews "Bob: hi", own messages plainly, system lines in words', () => {
    const c = group(9, 3, { roster: [rosterMember(ALICE, 3, 3, 'admin'), rosterMember(BOB, 0, 0)] });
    expect(conversationName(c, ALICE.id)).toBe('Climbing');
    expect(previewText(c, msg(9, 2, BOB.id, 'hi'), ALICE.id)).toBe('Bob: hi');
    expect(previewText(c, msg(9, 3, ALICE.id, 'hello'), ALICE.id)).toBe('hello');
    const left = sys(9, 4, BOB.id, { event: 'member_left', actor_id: BOB.id, users: [BOB] });
    expect(previewText(c, left, ALICE.id)).toBe('Bob left');
    // Direct chats keep the plain preview.
    expect(previewText({ ...c, kind: 'direct', peer: BOB }, msg(9, 2, BOB.id, 'hi'), ALICE.id)).toBe('hi');
  });

  it('gives each sender a stable colour from the palette', () => {
    expect(senderColour(2)).toBe(senderColour(2));
    expect(SENDER_COLOURS).toContain(senderColour(12345));
    expect(new Set([1, 2, 3, 4, 5, 6].map(senderColour)).size).toBe(6);
  });
});

describe('ticks in groups', () => {
  function aliceGroup(): ChatStore {
    const store = new ChatStore(ALICE.id);
    store.upsertConversation(group(9, 1));
    store.setRoster(9, [rosterMember(ALICE, 1, 1, 'admin'), rosterMember(BOB, 1, 0), rosterMember(CAROL, 0, 0)], 1);
    store.addMessages([msg(9, 2, ALICE.id, 'hello')]);
    return store;
  }
  const status = (store: ChatStore, seq = 2) => {
    const c = store.conversation(9)!;
    const m = store.messages(9).find((x) => x.seq === seq)!;
    return messageStatus(c, seq, m.ts, ALICE.id);
  };

  it('is the minimum over the other active members', () => {
    const roster = [rosterMember(ALICE, 5, 5), rosterMember(BOB, 5, 4), rosterMember(CAROL, 3, 2)];
    expect(minWatermarks(roster, ALICE.id)).toEqual({ delivered: 3, read: 2 });
    expect(minWatermarks([rosterMember(ALICE, 5, 5)], ALICE.id)).toBeNull();
  });

  it('goes sent -> delivered (both got it) -> read (both read it) with receipts frames', () => {
    const store = aliceGroup();
    expect(status(store)).toBe('sent');
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: BOB.id, delivered_seq: 2, read_seq: 0, version: 20 }] });
    expect(status(store)).toBe('sent');
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: CAROL.id, delivered_seq: 2, read_seq: 0, version: 21 }] });
    expect(status(store)).toBe('delivered');
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: BOB.id, delivered_seq: 2, read_seq: 2, version: 22 }] });
    expect(status(store)).toBe('delivered'); // Carol has not read it yet
    store.applyReceipts({
      conversation_id: 9,
      receipts: [
        { user_id: BOB.id, delivered_seq: 2, read_seq: 2, version: 22 },
        { user_id: CAROL.id, delivered_seq: 2, read_seq: 2, version: 23 },
      ],
    });
    expect(status(store)).toBe('read');
    expect(store.conversation(9)!.version).toBe(23);
  });

  it('takes single receipt frames too (groups of two)', () => {
    const store = aliceGroup();
    store.applyReceipt({ conversation_id: 9, user_id: BOB.id, delivered_seq: 2, read_seq: 2 });
    store.applyReceipt({ conversation_id: 9, user_id: CAROL.id, delivered_seq: 2, read_seq: 2 });
    expect(status(store)).toBe('read');
  });

  it('merges receipts frames idempotently: repeats and late old frames change nothing', () => {
    const store = aliceGroup();
    const frame = {
      conversation_id: 9,
      receipts: [
        { user_id: BOB.id, delivered_seq: 2, read_seq: 2, version: 22 },
        { user_id: CAROL.id, delivered_seq: 2, read_seq: 1, version: 23 },
      ],
    };
    expect(store.applyReceipts(frame)).toBe(true);
    store.takeChanges();
    const snapshot = JSON.stringify(store.conversation(9));
    expect(store.applyReceipts(frame)).toBe(false);
    expect(store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: CAROL.id, delivered_seq: 1, read_seq: 0, version: 15 }] })).toBe(false);
    expect(JSON.stringify(store.conversation(9))).toBe(snapshot);
    expect(store.takeChanges().conversations).toHaveLength(0);
    expect(status(store)).toBe('delivered');
    // Malformed entries are skipped.
    expect(store.applyReceipts({ conversation_id: 9, receipts: [null as any, { user_id: 'x' } as any] })).toBe(false);
  });

  it('marks the roster stale when a member it does not know moves', () => {
    const store = aliceGroup();
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: DAVE.id, delivered_seq: 2, read_seq: 2 }] });
    expect(store.conversation(9)!.roster_stale).toBe(true);
    store.setRoster(9, [rosterMember(ALICE, 2, 2, 'admin'), rosterMember(BOB, 0, 0), rosterMember(CAROL, 0, 0), rosterMember(DAVE, 2, 2)]);
    const c = store.conversation(9)!;
    expect(c.roster_stale).toBe(false);
    // Watermarks never go back when the roster is fetched again.
    expect(c.roster!.find((m) => m.user.id === BOB.id)!.delivered_seq).toBe(1);
    expect(c.member_count).toBe(4);
  });

  it('uses the server\'s min_* from sync when the roster knows less', () => {
    const store = aliceGroup();
    store.upsertConversation(group(9, 2, { version: 40, min_delivered_seq: 2, min_read_seq: 2 }));
    expect(status(store)).toBe('read');
  });

  it('does not hold old messages back for members who joined later, nor count those who left', () => {
    const store = aliceGroup();
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: BOB.id, delivered_seq: 2, read_seq: 2 }] });
    expect(status(store)).toBe('sent');
    // Carol leaves: only Bob is left besides Alice, and he read it.
    store.addMessages([sys(9, 3, CAROL.id, { event: 'member_left', actor_id: CAROL.id, users: [CAROL] })]);
    expect(status(store)).toBe('read');
    // Dave joins later: seq 2 stays read, Alice's new message waits for Dave too.
    store.addMessages([{ ...sys(9, 4, ALICE.id, { event: 'members_added', actor_id: ALICE.id, users: [DAVE] }), ts: T0 + 500_000 }]);
    expect(status(store)).toBe('read');
    store.addMessages([{ ...msg(9, 5, ALICE.id, 'welcome'), ts: T0 + 600_000 }]);
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: BOB.id, delivered_seq: 5, read_seq: 5 }] });
    expect(status(store, 5)).toBe('sent');
    store.applyReceipts({ conversation_id: 9, receipts: [{ user_id: DAVE.id, delivered_seq: 5, read_seq: 5 }] });
    expect(status(store, 5)).toBe('read');
    expect(groupStatus(5, T0 + 600_000, store.conversation(9)!, ALICE.id)).toBe('read');
  });
});

describe('group state from system messages and conversation objects', () => {
  it('follows renames, members, roles and leaving, and keeps the roster for names', () => {
    const store = new ChatStore(BOB.id);
    store.upsertConversation({ ...group(9, 1), members: [{ ...member(BOB, 0, 0), role: 'member' }], role: 'member' });
    store.setRoster(9, [rosterMember(ALICE, 1, 1, 'admin'), rosterMember(BOB, 0, 0), rosterMember(CAROL, 0, 0)], 1);
    store.addMessages([
      sys(9, 2, ALICE.id, { event: 'group_renamed', actor_id: ALICE.id, name: 'Bouldering' }),
      sys(9, 3, ALICE.id, { event: 'description_changed', actor_id: ALICE.id, description: 'Sundays' }),
      sys(9, 4, ALICE.id, { event: 'admin_promoted', actor_id: ALICE.id, users: [BOB] }),
      sys(9, 5, ALICE.id, { event: 'members_added', actor_id: ALICE.id, users: [DAVE] }),
      sys(9, 6, ALICE.id, { event: 'member_removed', actor_id: ALICE.id, users: [CAROL] }),
    ]);
    let c = store.conversation(9)!;
    expect(c.name).toBe('Bouldering');
    expect(c.description).toBe('Sundays');
    expect(c.role).toBe('admin');
    expect(c.member_count).toBe(3);
    expect(c.roster!.map((m) => m.user.id).sort()).toEqual([ALICE.id, BOB.id, DAVE.id]);
    expect(c.roster!.find((m) => m.user.id === BOB.id)!.role).toBe('admin');
    expect(nameIn(c, CAROL.id)).toBe('Carol');

    // An older system message loaded later (scrolling up) does not undo newer state.
    store.addMessages([sys(9, 1, ALICE.id, { event: 'group_created', actor_id: ALICE.id, name: 'Climbing', users: [BOB, CAROL] })], { detectGaps: false });
    expect(store.conversation(9)!.name).toBe('Bouldering');

    // A stale conversation object (older last_seq) does not either.
    store.upsertConversation({ ...group(9, 3), name: 'Old name', members: [{ ...member(BOB, 3, 3), role: 'member' }], role: 'member' });
    c = store.conversation(9)!;
    expect(c.name).toBe('Bouldering');
    expect(c.role).toBe('admin');

    store.addMessages([sys(9, 7, ALICE.id, { event: 'member_removed', actor_id: ALICE.id, users: [BOB] })]);
    c = store.conversation(9)!;
    expect(c.left).toBe(true);
    expect(c.role).toBe('member');
    expect(store.messages(9)).toHaveLength(7);
  });

  it('takes name, role and left from a newer conversation object, and min_* by version', () => {
    const store = new ChatStore(ALICE.id);
    store.upsertConversation(group(9, 1));
    store.upsertConversation(group(9, 4, { name: 'New', left: true, role: 'member', min_read_seq: 3, min_delivered_seq: 4, version: 50 }));
    const c = store.conversation(9)!;
    expect([c.name, c.left, c.role, c.min_read_seq, c.min_delivered_seq]).toEqual(['New', true, 'member', 3, 4]);
    store.upsertConversation(group(9, 4, { name: 'New', min_read_seq: 1, min_delivered_seq: 1, version: 45, left: true, role: 'member' }));
    expect(store.conversation(9)!.min_read_seq).toBe(3);
  });
});
