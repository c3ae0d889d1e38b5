-- The mark triggers of 0013 again, without a conflict clause of their own (an upsert that fires a trigger imposes its conflict handling on it):
-- src/db/plan-marks.repo.ts PLAN_MARK_TRIGGERS, word for word.
DROP TRIGGER IF EXISTS plan_mark_people_insert;
--> statement-breakpoint
create trigger plan_mark_people_insert after insert on people begin insert into plan_marks (person_id, at) select new.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.id) and not exists (select 1 from plan_marks k where k.person_id = new.id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_people_update;
--> statement-breakpoint
create trigger plan_mark_people_update after update of proactive, reminders, newsletter, quiet_start, quiet_end, preferred_channel, last_action_at, last_read_at, contact_declined_at, language on people when old.proactive is not new.proactive or old.reminders is not new.reminders or old.newsletter is not new.newsletter or old.quiet_start is not new.quiet_start or old.quiet_end is not new.quiet_end or old.preferred_channel is not new.preferred_channel or old.last_action_at is not new.last_action_at or old.last_read_at is not new.last_read_at or old.contact_declined_at is not new.contact_declined_at or old.language is not new.language begin insert into plan_marks (person_id, at) select new.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.id) and not exists (select 1 from plan_marks k where k.person_id = new.id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_children_insert;
--> statement-breakpoint
create trigger plan_mark_children_insert after insert on children begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_children_delete;
--> statement-breakpoint
create trigger plan_mark_children_delete after delete on children begin insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_children_update;
--> statement-breakpoint
create trigger plan_mark_children_update after update of person_id, birth_year, birth_month, expected, registered_at, placement on children when (old.person_id is not new.person_id or old.birth_year is not new.birth_year or old.birth_month is not new.birth_month or old.expected is not new.expected or old.registered_at is not new.registered_at or old.placement is not new.placement) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_memberships_insert;
--> statement-breakpoint
create trigger plan_mark_memberships_insert after insert on memberships begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_memberships_delete;
--> statement-breakpoint
create trigger plan_mark_memberships_delete after delete on memberships begin insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_memberships_update;
--> statement-breakpoint
create trigger plan_mark_memberships_update after update of person_id, initiative_id, role, created_at on memberships when (old.person_id is not new.person_id or old.initiative_id is not new.initiative_id or old.role is not new.role or old.created_at is not new.created_at) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_identities_insert;
--> statement-breakpoint
create trigger plan_mark_identities_insert after insert on identities begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_identities_delete;
--> statement-breakpoint
create trigger plan_mark_identities_delete after delete on identities begin insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_identities_update;
--> statement-breakpoint
create trigger plan_mark_identities_update after update of person_id, channel, unreachable_at on identities when (old.person_id is not new.person_id or old.channel is not new.channel or old.unreachable_at is not new.unreachable_at) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_event_rsvps_insert;
--> statement-breakpoint
create trigger plan_mark_event_rsvps_insert after insert on event_rsvps begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_event_rsvps_delete;
--> statement-breakpoint
create trigger plan_mark_event_rsvps_delete after delete on event_rsvps begin insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_event_rsvps_update;
--> statement-breakpoint
create trigger plan_mark_event_rsvps_update after update of event_id, person_id, answer, status on event_rsvps when (old.event_id is not new.event_id or old.person_id is not new.person_id or old.answer is not new.answer or old.status is not new.status) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_events_insert;
--> statement-breakpoint
create trigger plan_mark_events_insert after insert on events begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_events_delete;
--> statement-breakpoint
create trigger plan_mark_events_delete after delete on events begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_events_update;
--> statement-breakpoint
create trigger plan_mark_events_update after update of initiative_id, kind, starts_at, min_age_months, max_age_months, cancelled_at on events when (old.initiative_id is not new.initiative_id or old.kind is not new.kind or old.starts_at is not new.starts_at or old.min_age_months is not new.min_age_months or old.max_age_months is not new.max_age_months or old.cancelled_at is not new.cancelled_at) begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_initiatives_update;
--> statement-breakpoint
create trigger plan_mark_initiatives_update after update of phase, time_zone, municipality, archived_at on initiatives when old.phase is not new.phase or old.time_zone is not new.time_zone or old.municipality is not new.municipality or old.archived_at is not new.archived_at begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_audit_phase;
--> statement-breakpoint
create trigger plan_mark_audit_phase after insert on audit_log when new.action = 'initiative.phase' and new.subject_id is not null begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.subject_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_newsletter_schedules_insert;
--> statement-breakpoint
create trigger plan_mark_newsletter_schedules_insert after insert on newsletter_schedules begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_newsletter_schedules_delete;
--> statement-breakpoint
create trigger plan_mark_newsletter_schedules_delete after delete on newsletter_schedules begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_newsletter_schedules_update;
--> statement-breakpoint
create trigger plan_mark_newsletter_schedules_update after update of every_weeks, first_date, time, active on newsletter_schedules when (old.every_weeks is not new.every_weeks or old.first_date is not new.first_date or old.time is not new.time or old.active is not new.active) begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_newsletters_insert;
--> statement-breakpoint
create trigger plan_mark_newsletters_insert after insert on newsletters begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_nudges_insert;
--> statement-breakpoint
create trigger plan_mark_nudges_insert after insert on nudges when (new.kind = 'relative') begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_nudges_delete;
--> statement-breakpoint
create trigger plan_mark_nudges_delete after delete on nudges when (old.kind = 'relative') begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_nudges_update;
--> statement-breakpoint
create trigger plan_mark_nudges_update after update of kind, rule, status, template_broadcast_id on nudges when (new.kind = 'relative') and (old.kind is not new.kind or old.rule is not new.rule or old.status is not new.status or old.template_broadcast_id is not new.template_broadcast_id) begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_settings_insert;
--> statement-breakpoint
create trigger plan_mark_outreach_settings_insert after insert on outreach_settings begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_settings_delete;
--> statement-breakpoint
create trigger plan_mark_outreach_settings_delete after delete on outreach_settings begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_settings_update;
--> statement-breakpoint
create trigger plan_mark_outreach_settings_update after update of enabled, cooldown_days on outreach_settings when (old.enabled is not new.enabled or old.cooldown_days is not new.cooldown_days) begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_voices_insert;
--> statement-breakpoint
create trigger plan_mark_outreach_voices_insert after insert on outreach_voices begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_voices_delete;
--> statement-breakpoint
create trigger plan_mark_outreach_voices_delete after delete on outreach_voices begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_outreach_voices_update;
--> statement-breakpoint
create trigger plan_mark_outreach_voices_update after update of lang, media_id on outreach_voices when (old.lang is not new.lang or old.media_id is not new.media_id) begin insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = new.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); insert into plan_marks (person_id, at) select m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m where m.initiative_id = old.initiative_id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_media_voice;
--> statement-breakpoint
create trigger plan_mark_media_voice after update of status on media when old.status is not new.status and exists (select 1 from outreach_voices where media_id = new.id) begin insert into plan_marks (person_id, at) select distinct m.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) from memberships m join outreach_voices v on v.initiative_id = m.initiative_id where v.media_id = new.id and m.role = 'parent' and not exists (select 1 from plan_marks k where k.person_id = m.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_deliveries_ladder;
--> statement-breakpoint
create trigger plan_mark_deliveries_ladder after update of status, send_at, sent_at on deliveries when new.rule_id like 'ladder%' and (old.status is not new.status or old.send_at is not new.send_at or old.sent_at is not new.sent_at) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_deliveries_ladder_delete;
--> statement-breakpoint
create trigger plan_mark_deliveries_ladder_delete after delete on deliveries when old.rule_id like 'ladder%' begin insert into plan_marks (person_id, at) select old.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = old.person_id) and not exists (select 1 from plan_marks k where k.person_id = old.person_id); end;
--> statement-breakpoint
DROP TRIGGER IF EXISTS plan_mark_deliveries_cap;
--> statement-breakpoint
create trigger plan_mark_deliveries_cap after update of status, send_at on deliveries when new.kind != 'notice' and old.status in ('planned', 'queued', 'sending', 'sent') and (new.status not in ('planned', 'queued', 'sending', 'sent') or new.send_at > old.send_at) begin insert into plan_marks (person_id, at) select new.person_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) where exists (select 1 from people where id = new.person_id) and not exists (select 1 from plan_marks k where k.person_id = new.person_id); end;
