from lianfang.ingest.main import main

# Guarded: the writer process is spawned, and a spawned child imports the parent's main module again.
if __name__ == "__main__":
    main()
