from solidaria.cli import main

main()
