import StackCLI

await StackCLI.main()
