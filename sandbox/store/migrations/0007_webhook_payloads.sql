-- A delivery whose body is not rendered from a simulator event carries it: the reference auth
-- service's lifecycle events (user.created, invitation.accepted, ...) exist only on the bus, so
-- the body is kept with the delivery for its retries and for a restart.
ALTER TABLE webhook_deliveries ADD COLUMN payload TEXT NOT NULL DEFAULT '';
