"""What leaves the workbench: PowerPoint decks, images, CSV/XLSX tables and project backups."""
