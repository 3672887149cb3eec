DROP TABLE IF EXISTS outsider_answers;
ALTER TABLE requests DROP COLUMN IF EXISTS form_changed_at;
