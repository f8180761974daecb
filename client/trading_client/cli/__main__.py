import sys

from trading_client.cli.main import main

sys.exit(main())
