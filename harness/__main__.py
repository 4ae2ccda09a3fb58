from harness.cli.app import app

app()
