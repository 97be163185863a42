from llmcli.cli import main

main(prog_name="llmcli")
