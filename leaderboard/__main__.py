from leaderboard.cli import app

app()
