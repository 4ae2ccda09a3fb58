from harness_client.cli import app

app()
