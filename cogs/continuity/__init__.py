"""After a restart: resuming interrupted jobs and the Try again button."""
