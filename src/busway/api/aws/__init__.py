"""AWS's wire protocols: JSON 1.1 for events, JSON 1.0 for sqs."""
