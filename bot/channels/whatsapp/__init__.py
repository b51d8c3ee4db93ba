"""WhatsApp (the Business Cloud API) as a channel: Meta's webhook in, the Graph API's
`/{version}/{phone-number-id}/messages` out. docs/whatsapp.md says what Meta can see."""
