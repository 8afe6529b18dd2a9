package dev.tether.it.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's chromium, headless, driven through its own chromedriver. The paths are given so that
 * Selenium never looks for browsers on the network.
 */
public final class Browser implements AutoCloseable {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  private final ChromeDriver driver;
  private final Path screenshots;

  public Browser(Path profileDir, Path screenshots) {
    for (String program : new String[] {CHROMIUM, CHROMEDRIVER}) {
      if (!Files.isExecutable(Path.of(program))) {
        throw new IllegalStateException(program + " is missing: install the Debian packages chromium and chromium-driver "
            + "(tools/test.sh does)");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
        "--user-data-dir=" + profileDir.toAbsolutePath());
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort().build();
    this.driver = new ChromeDriver(service, options);
    this.screenshots = screenshots;
  }

  public WebDriver driver() {
    return driver;
  }

  public void open(String url) {
    driver.get(url);
  }

  /** Runs a script in the page and returns what it returns. */
  public Object script(String javascript) {
    return driver.executeScript(javascript);
  }

  /** Waits for an element to be visible and returns it. */
  public WebElement await(By by) {
    try {
      return new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(by));
    } catch (TimeoutException e) {
      throw new AssertionError(e.getMessage().lines().findFirst().orElse("") + "\n" + diagnostics(), e);
    }
  }

  /** Waits until the element's text contains {@code text}. */
  public void awaitText(By by, String text) {
    try {
      new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    } catch (TimeoutException e) {
      throw new AssertionError("no '" + text + "' in " + by + "\n" + diagnostics(), e);
    }
  }

  /** What a person debugging a failed wait wants: the page's URL, its text, and what the browser's console said. */
  public String diagnostics() {
    StringBuilder s = new StringBuilder("URL: ").append(driver.getCurrentUrl()).append("\nPage text:\n");
    try {
      s.append(driver.findElement(By.tagName("body")).getText());
    } catch (RuntimeException e) {
      s.append("(unreadable: ").append(e.getMessage()).append(')');
    }
    s.append("\nBrowser console:\n");
    driver.manage().logs().get(LogType.BROWSER).forEach(entry -> s.append("  ").append(entry).append('\n'));
    return s.toString();
  }

  /** Saves a screenshot of the whole page, not only the window, as {@code <name>.png}. */
  public Path screenshot(String name) {
    Dimension window = driver.manage().window().getSize();
    try {
      Files.createDirectories(screenshots);
      Path target = screenshots.resolve(name + ".png");
      long height = (Long) driver.executeScript("return Math.ceil(document.documentElement.scrollHeight)");
      driver.manage().window().setSize(new Dimension(window.getWidth(), (int) Math.min(6000, Math.max(window.getHeight(), height + 140))));
      Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), target, StandardCopyOption.REPLACE_EXISTING);
      driver.manage().window().setSize(window);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
